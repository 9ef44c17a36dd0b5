// SqlDriver: the storage port. Two drivers (sqlite.ts, postgres.ts) speak one SQL text with `?` placeholders.
export type SqlValue = string | number | bigint | null | Buffer;
export type Row = Record<string, unknown>;

/** Statements inside one transaction. Kept minimal so better-sqlite3 can run them synchronously. */
export interface SqlTx {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Inserts many rows into one table (a prepared loop on SQLite, one unnest statement on PostgreSQL). */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /** Optional: several insertMany as one statement (PostgreSQL: one round trip). Callers fall back to insertMany. */
  insertBatch?(parts: readonly InsertPart[]): Promise<void>;
}

export interface InsertPart {
  table: string;
  columns: readonly string[];
  rows: readonly (readonly SqlValue[])[];
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Case-insensitive LIKE operator. */
  readonly ilike: string;
  /** Insert-or-ignore prefix/suffix handled by callers through `onConflictDoNothing`. */
  readonly onConflictDoNothing: string;
}

/** Where a driver's database lives, so another thread (the audit writer) can open its own connection. */
export type DbLocation = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };

export interface SqlDriver extends SqlTx {
  readonly dialect: Dialect;
  readonly location: DbLocation;
  /** Runs fn in one transaction; rolls back when fn throws. Writers are serialised per driver. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

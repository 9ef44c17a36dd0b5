// Reference rewriting for transactions: fullUrl (urn:uuid:…, absolute) → the ids the transaction assigns.
export type ReferenceMap = Map<string, string>;

/** Visits every Reference.reference string (and Attachment-free uri-like keys are left alone). */
export function visitReferences(node: unknown, fn: (ref: string) => string | undefined): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const child = obj[key];
        if (key === 'reference' && typeof child === 'string') {
          const replaced = fn(child);
          if (replaced !== undefined) obj[key] = replaced;
        } else if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
}

// Small fetch helpers for FHIR API tests: JSON in, status + headers + parsed body out.
export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/fhir+json');
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export function issueCode(reply: Reply): string | undefined {
  return reply.body?.resourceType === 'OperationOutcome' ? reply.body.issue?.[0]?.code : undefined;
}

// What the request thread hands to the audit writer: a ready AuditEvent (sign-ins, from the authorization server)
// or the few facts of one FHIR interaction, built into an AuditEvent by the writer. Batches cross to the writer
// thread as one JSON string, which costs the request thread far less than cloning finished AuditEvents.
import { buildAuditEvent, type AuditInput } from '../auth/audit-event.ts';

export type AuditItem = { readonly event: fhir4.AuditEvent } | { readonly input: AuditInput };

type WireInput = Omit<AuditInput, 'recorded'> & { recorded: string };
type WireItem = { event: fhir4.AuditEvent } | { input: WireInput };

export function encodeItems(items: readonly AuditItem[]): string {
  return JSON.stringify(items);
}

export function decodeEvents(json: string): fhir4.AuditEvent[] {
  return (JSON.parse(json) as WireItem[]).map((item) => ('event' in item ? item.event : buildAuditEvent({ ...item.input, recorded: new Date(item.input.recorded) })));
}

export function toEvents(items: readonly AuditItem[]): fhir4.AuditEvent[] {
  return items.map((item) => ('event' in item ? item.event : buildAuditEvent(item.input)));
}

// AuditEvent builders (https://hl7.org/fhir/R4/auditevent.html; DICOM PS3.15 audit codes). Pure.
import type { Interaction } from './access.ts';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

export type AuditEventKind = 'rest' | 'login' | 'logout' | 'security-alert' | 'token';

export interface AuditInput {
  readonly kind?: AuditEventKind;
  readonly who: {
    /** fhirUser, relative (Practitioner/…), when a person acts. */
    readonly user?: string;
    /** Token subject, recorded as altId. */
    readonly subject?: string;
    readonly clientId?: string;
    readonly address?: string;
  };
  /** What was acted on: `Type/id` or `Type/id/_history/v`, or a type for searches. */
  readonly what?: string;
  /** The version of `what` read or written, when known: the audit writer takes the patient from that version. */
  readonly version?: number;
  /** Patient id whose data was touched. */
  readonly patient?: string;
  /** HTTP status, or an explicit outcome. */
  readonly outcome: number | 'success' | 'minor-failure' | 'serious-failure' | 'major-failure';
  readonly outcomeDesc?: string;
  /** The FHIR interaction (rest), or C/R/U/D/E directly. */
  readonly action: Interaction | 'C' | 'R' | 'U' | 'D' | 'E';
  readonly recorded: Date;
  readonly requestId?: string;
  /** Search query string (stored base64 in entity.query, as the spec asks). */
  readonly query?: string;
  readonly observer?: string;
}

const ACTION: Record<Interaction, 'C' | 'R' | 'U' | 'D' | 'E'> = {
  read: 'R', vread: 'R', search: 'E', history: 'R', create: 'C', update: 'U', patch: 'U', delete: 'D', operation: 'E',
};

const OUTCOME = { success: '0', 'minor-failure': '4', 'serious-failure': '8', 'major-failure': '12' } as const;

function outcomeCode(o: AuditInput['outcome']): '0' | '4' | '8' | '12' {
  if (typeof o === 'string') return OUTCOME[o];
  return o < 400 ? '0' : o < 500 ? '4' : '8';
}

function typeAndSubtype(input: AuditInput): Pick<fhir4.AuditEvent, 'type' | 'subtype'> {
  switch (input.kind ?? 'rest') {
    case 'login':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: '110122', display: 'Login' }] };
    case 'logout':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: '110123', display: 'Logout' }] };
    case 'security-alert':
      return { type: { system: DCM, code: '110113', display: 'Security Alert' } };
    // An access token issued or refused at /auth/token: IHE IUA ITI-71 "Get Access Token" (as IHE BALP records it).
    case 'token':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: 'urn:ihe:event-type-code', code: 'ITI-71', display: 'Get Access Token' }] };
    case 'rest': {
      const interaction = input.action.length > 1 ? input.action : undefined;
      return {
        type: { system: EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
        ...(interaction && { subtype: [{ system: RESTFUL, code: interaction === 'operation' ? 'operation' : interaction }] }),
      };
    }
  }
}

export function buildAuditEvent(input: AuditInput): fhir4.AuditEvent {
  const agents: fhir4.AuditEventAgent[] = [];
  // Network access point type 2 = IP address.
  const network = input.who.address ? { address: input.who.address, type: '2' as const } : undefined;
  if (input.who.user || input.who.subject) {
    agents.push({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' }] },
      ...(input.who.user && { who: { reference: input.who.user } }),
      ...(input.who.subject && { altId: input.who.subject }),
      requestor: true,
      ...(network && { network }),
    });
  }
  if (input.who.clientId) {
    agents.push({
      type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
      who: { identifier: { system: 'urn:titrate:client-id', value: input.who.clientId } },
      requestor: agents.length === 0,
      ...(agents.length === 0 && network && { network }),
    });
  }
  if (agents.length === 0) agents.push({ who: { display: 'anonymous' }, requestor: true, ...(network && { network }) });

  const entity: fhir4.AuditEventEntity[] = [];
  // Acting on the Patient resource itself: one entity, in its Patient role, rather than the same reference twice.
  const whatIsPatient = input.patient !== undefined && input.what === `Patient/${input.patient}`;
  if (input.what && !whatIsPatient) {
    entity.push({
      ...(input.what.includes('/') ? { what: { reference: input.what } } : { type: { system: 'http://hl7.org/fhir/resource-types', code: input.what } }),
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      ...(input.query !== undefined && { query: Buffer.from(input.query, 'utf8').toString('base64') }),
    });
  }
  if (input.patient) {
    entity.push({
      what: { reference: `Patient/${input.patient}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (input.requestId) entity.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, description: 'request', name: input.requestId });

  const action = input.action.length === 1 ? (input.action as 'C' | 'R' | 'U' | 'D' | 'E') : ACTION[input.action as Interaction];
  return {
    resourceType: 'AuditEvent',
    ...typeAndSubtype(input),
    action,
    recorded: input.recorded.toISOString(),
    outcome: outcomeCode(input.outcome),
    ...(input.outcomeDesc && { outcomeDesc: input.outcomeDesc }),
    agent: agents,
    source: { observer: { display: input.observer ?? 'Titrate' }, type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    ...(entity.length > 0 && { entity }),
  };
}

// The few HTML pages of the authorization server: sign-in, patient and scope choice, errors. No script.
import type { PatientChoice } from './users.ts';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Titrate</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=password],select{width:100%;padding:.4rem;font-size:1rem}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}fieldset{margin-top:1rem}.error{color:#b3261e}.hint{color:#555;font-size:.9rem}</style>
</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export function loginPage(args: { action: string; requestId: string; clientName: string; error?: string; demoHint?: string }): string {
  return page(
    'Sign in',
    `<p>${escapeHtml(args.clientName)} asks to connect to Titrate.</p>
${args.error ? `<p class="error" role="alert">${escapeHtml(args.error)}</p>` : ''}
<form method="post" action="${escapeHtml(args.action)}">
<input type="hidden" name="request" value="${escapeHtml(args.requestId)}">
<label for="username">User name</label><input type="text" id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
${args.demoHint ? `<p class="hint">${escapeHtml(args.demoHint)}</p>` : ''}`,
  );
}

export function consentPage(args: {
  action: string;
  requestId: string;
  clientName: string;
  userName: string;
  scopes: readonly string[];
  /** When a patient must be chosen: the choices, or an empty list for a free-text id. */
  patients?: readonly PatientChoice[];
}): string {
  const patientField =
    args.patients === undefined
      ? ''
      : args.patients.length > 0
        ? `<label for="patient">Patient</label><select id="patient" name="patient" required>${args.patients
            .map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.label)}</option>`)
            .join('')}</select>`
        : `<label for="patient">Patient id</label><input type="text" id="patient" name="patient" required>`;
  const scopeBoxes = args.scopes
    .map((s, i) => `<div><input type="checkbox" id="scope${i}" name="scope" value="${escapeHtml(s)}" checked> <label for="scope${i}" style="display:inline">${escapeHtml(s)}</label></div>`)
    .join('');
  return page(
    'Allow access',
    `<p>Signed in as ${escapeHtml(args.userName)}. ${escapeHtml(args.clientName)} asks for:</p>
<form method="post" action="${escapeHtml(args.action)}">
<input type="hidden" name="request" value="${escapeHtml(args.requestId)}">
${patientField}
<fieldset><legend>Permissions (untick to refuse)</legend>${scopeBoxes}</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

export function errorPage(message: string): string {
  return page('Authorization error', `<p class="error" role="alert">${escapeHtml(message)}</p><p>The application did not identify itself correctly, so you were not sent back to it.</p>`);
}

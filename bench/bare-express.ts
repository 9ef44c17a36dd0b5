// The reference route: a bare Express app returning a stored-size Patient — the ceiling Titrate is measured against.
import express from 'express';

const port = Number(process.env.PORT ?? 8181);
const patient = JSON.stringify({
  resourceType: 'Patient',
  id: 'bench-patient',
  meta: { versionId: '1', lastUpdated: '2026-11-30T00:00:00.000Z' },
  identifier: [{ system: 'http://hospital.example/mrn', value: 'MRN-000123' }],
  name: [{ family: 'Benchmark', given: ['Pat', 'Q'] }],
  gender: 'female',
  birthDate: '1980-01-01',
  address: [{ line: ['1 Main St'], city: 'Springfield', state: 'IL', postalCode: '62701' }],
});

const app = express();
app.disable('x-powered-by');
app.get('/fhir/Patient/:id', (_req, res) => {
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  res.setHeader('ETag', 'W/"1"');
  res.send(patient);
});
app.listen(port, '127.0.0.1', () => console.log(`bare express on ${port}`));

// Code systems that R4 uses but does not publish as complete CodeSystems, as far as the R4 package itself
// describes them: ISO 3166-1 (https://hl7.org/fhir/R4/valueset-iso3166-1-2.html, -1-3, -1-N), plus the
// shapes of ISO 3166-2 and UN M49 codes, both drawn on by https://hl7.org/fhir/R4/valueset-jurisdiction.html.

export interface ExternalCodeSystem {
  /** an R4 ValueSet whose compose lists codes of this system with their displays */
  listedBy?: string;
  /** every code of the system has one of these shapes (a code of the right shape may still be unknown) */
  shapes: RegExp[];
}

export const EXTERNAL_CODE_SYSTEMS: Record<string, ExternalCodeSystem> = {
  // alpha-2 codes listed with their English short names by iso3166-1-2 (as published with R4, 2019); the
  // alpha-3 and numeric codes are defined by the regex filters of iso3166-1-3 ([A-Z]{3}) and iso3166-1-N ([0-9]{3})
  'urn:iso:std:iso:3166': { listedBy: 'http://hl7.org/fhir/ValueSet/iso3166-1-2', shapes: [/^[A-Z]{2}$/, /^[A-Z]{3}$/, /^[0-9]{3}$/] },
  // ISO 3166-2 subdivision codes: the alpha-2 country code, a hyphen and one to three letters or digits
  'urn:iso:std:iso:3166:-2': { shapes: [/^[A-Z]{2}-[A-Z0-9]{1,3}$/] },
  // UN M49 area codes: three digits
  'http://unstats.un.org/unsd/methods/m49/m49.htm': { shapes: [/^[0-9]{3}$/] },
};

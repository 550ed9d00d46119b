/**
 * Issue 17, profiles: every template, with an RSA and an EC key, issued by `cachet ca issue` and read
 * by OpenSSL (x509 -text, asn1parse, verify -purpose), checked field by field against the CA/Browser
 * Forum S/MIME Baseline Requirements' mailbox-validated strict and multipurpose profiles (§7.1.2.3,
 * §7.1.4.2.2, §7.1.6.1, §6.3.2). Validity limits are refused at issue time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cachet, caWorkspace, openssl, type CaWorkspace } from '../ca/support.js';
import { listTemplates } from '../../src/adapters/ca/templates.js';

let ws: CaWorkspace;
const DAY = 86_400_000;

type Generation = 'strict' | 'multipurpose';
type KeyUse = 'signing' | 'key management' | 'dual';

/**
 * What each template is meant to be, written here rather than read from the templates under test,
 * so that a template that drifts from its generation or its use fails.
 */
const TEMPLATE_PROFILE: Record<string, { generation: Generation; use: KeyUse }> = {
  'signing-only': { generation: 'strict', use: 'signing' },
  'encryption-only': { generation: 'strict', use: 'key management' },
  dual: { generation: 'strict', use: 'dual' },
  multipurpose: { generation: 'multipurpose', use: 'dual' },
  'multipurpose-signing': { generation: 'multipurpose', use: 'signing' },
};

/**
 * CA/B Forum S/MIME BR §7.1.2.3 (e), the keyUsage table, in OpenSSL's names (x509 -text): per
 * generation, use and key family, the bits that SHALL be set and those that MAY; "other bit
 * positions SHALL NOT be set". dataEncipherment is allowed for multipurpose (and legacy) RSA only.
 */
const BR_KEY_USAGE: Record<Generation, Record<KeyUse, Record<'rsa' | 'ec', { must: string[]; may: string[] }>>> = {
  strict: {
    signing: { rsa: { must: ['Digital Signature'], may: ['Non Repudiation'] }, ec: { must: ['Digital Signature'], may: ['Non Repudiation'] } },
    'key management': { rsa: { must: ['Key Encipherment'], may: [] }, ec: { must: ['Key Agreement'], may: ['Encipher Only', 'Decipher Only'] } },
    dual: {
      rsa: { must: ['Digital Signature', 'Key Encipherment'], may: ['Non Repudiation'] },
      ec: { must: ['Digital Signature', 'Key Agreement'], may: ['Non Repudiation', 'Encipher Only', 'Decipher Only'] },
    },
  },
  multipurpose: {
    signing: { rsa: { must: ['Digital Signature'], may: ['Non Repudiation'] }, ec: { must: ['Digital Signature'], may: ['Non Repudiation'] } },
    'key management': { rsa: { must: ['Key Encipherment'], may: ['Data Encipherment'] }, ec: { must: ['Key Agreement'], may: ['Encipher Only', 'Decipher Only'] } },
    dual: {
      rsa: { must: ['Digital Signature', 'Key Encipherment'], may: ['Non Repudiation', 'Data Encipherment'] },
      ec: { must: ['Digital Signature', 'Key Agreement'], may: ['Non Repudiation', 'Encipher Only', 'Decipher Only'] },
    },
  },
};

/**
 * §7.1.2.3 (f), extKeyUsage: strict, id-kp-emailProtection and nothing else; multipurpose,
 * emailProtection and what else Cachet chose (id-kp-clientAuth), never one of the forbidden.
 */
const EXPECTED_EKU: Record<Generation, string[]> = { strict: ['E-mail Protection'], multipurpose: ['E-mail Protection', 'TLS Web Client Authentication'] };
const FORBIDDEN_EKU_TEXT = ['TLS Web Server Authentication', 'Code Signing', 'Time Stamping', 'Any Extended Key Usage'];
/** §7.1.6.1: the reserved policy OIDs of mailbox-validated certificates. */
const POLICY_OID: Record<Generation, string> = { strict: '2.23.140.1.5.1.3', multipurpose: '2.23.140.1.5.1.2' };

/** The text of one extension in `x509 -text`: its header line (with "critical") and its value lines. */
function extension(text: string, name: string): { critical: boolean; value: string } | undefined {
  const match = new RegExp(`^ +${name}:( critical)? *\\n((?:\\s{16,}.*\\n?)+)`, 'm').exec(text);
  return match ? { critical: match[1] !== undefined, value: match[2]!.trim() } : undefined;
}

function checkBrProfile(pemFile: string, templateName: string, email: string, keyFamily: 'rsa' | 'ec', maxDays: number): void {
  const profile = TEMPLATE_PROFILE[templateName];
  assert.ok(profile, `${templateName}: a template this test does not know: add it to TEMPLATE_PROFILE`);
  const text = openssl(['x509', '-in', pemFile, '-noout', '-text', '-nameopt', 'RFC2253']);
  assert.equal(text.status, 0, text.stderr);
  const t = text.stdout;
  const where = `${templateName}/${keyFamily}`;
  assert.match(t, /Version: 3 \(0x2\)/, where);
  // §7.1: a serial of at least 64 bits from a CSPRNG, positive.
  const serial = openssl(['x509', '-in', pemFile, '-noout', '-serial']).stdout.trim().replace(/^serial=/, '');
  assert.ok(serial.length >= 16 && !/^[89a-f]/i.test(serial), `${where}: serial ${serial}`);
  // §7.1.3.2: SHA-256 or better.
  assert.match(t, /Signature Algorithm: (sha256|sha384|sha512)With|ecdsa-with-SHA(256|384|512)/, where);
  // §6.3.2: validity.
  const dates = openssl(['x509', '-in', pemFile, '-noout', '-startdate', '-enddate']).stdout;
  const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
  const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
  assert.ok((notAfter - notBefore) / DAY <= maxDays, `${where}: ${(notAfter - notBefore) / DAY} days`);
  // §7.1.4.2.2 (mailbox-validated): subject CN and emailAddress, both the mailbox, nothing else.
  const subject = /Subject: (.*)/.exec(t)![1]!;
  assert.deepEqual(subject.split(',').map((p) => p.trim()).sort(), [`CN=${email}`, `emailAddress=${email}`].sort(), where);
  // §7.1.2.3 (h): subjectAltName with the rfc822Name, and only that.
  assert.equal(extension(t, 'X509v3 Subject Alternative Name')?.value, `email:${email}`, where);
  // §7.1.2.3 (e): keyUsage, critical, every bit the table asks for, none it does not allow.
  const ku = extension(t, 'X509v3 Key Usage');
  assert.equal(ku?.critical, true, `${where}: keyUsage critical`);
  const bits = ku!.value.split(', ');
  const { must, may } = BR_KEY_USAGE[profile.generation][profile.use][keyFamily];
  for (const bit of must) assert.ok(bits.includes(bit), `${where}: keyUsage lacks ${bit} (${bits.join(', ')})`);
  for (const bit of bits) assert.ok(must.includes(bit) || may.includes(bit), `${where}: keyUsage ${bit} is not allowed for ${profile.generation} ${profile.use}`);
  // §7.1.2.3 (f): extKeyUsage.
  const eku = extension(t, 'X509v3 Extended Key Usage')!.value.split(', ');
  assert.deepEqual([...eku].sort(), [...EXPECTED_EKU[profile.generation]].sort(), where);
  for (const forbidden of FORBIDDEN_EKU_TEXT) assert.ok(!eku.includes(forbidden), `${where}: ${forbidden}`);
  // §7.1.6.1 / §7.1.2.3 (a): the policy OID of the generation.
  const policyOid = POLICY_OID[profile.generation];
  assert.match(extension(t, 'X509v3 Certificate Policies')!.value, new RegExp(`Policy: ${policyOid.replace(/\./g, '\\.')}`), where);
  // In the DER (asn1parse): certificatePolicies holds exactly one PolicyInformation, that OID, no qualifiers.
  const asn1 = openssl(['asn1parse', '-in', pemFile]).stdout;
  const policies = /:X509v3 Certificate Policies\n.*\[HEX DUMP\]:([0-9A-F]+)/.exec(asn1)?.[1];
  assert.equal(policies, `300B3009060767810C010501${profile.generation === 'strict' ? '03' : '02'}`, `${where}: certificatePolicies DER`);
  // §7.1.2.3 (b), (c): CRL and OCSP over HTTP; (d) cA false; AKI present.
  assert.match(extension(t, 'X509v3 CRL Distribution Points')!.value, /URI:http:\/\//, where);
  assert.match(extension(t, 'Authority Information Access')!.value, /OCSP - URI:http:\/\/[\s\S]*CA Issuers - URI:http:\/\//, where);
  assert.match(extension(t, 'X509v3 Basic Constraints')!.value, /CA:FALSE/, where);
  assert.ok(extension(t, 'X509v3 Authority Key Identifier'), `${where}: AKI`);
  // And OpenSSL's own S/MIME purpose checks, with the chain. OpenSSL's "smimeencrypt" demands
  // keyEncipherment, which an EC key (keyAgreement, as BR §7.1.2.3 (e) asks) never has: EC
  // encryption certificates are checked for the chain only.
  const encrypts = profile.use !== 'signing';
  const purposes = [...(profile.use !== 'key management' ? ['smimesign'] : []), ...(encrypts ? [keyFamily === 'rsa' ? 'smimeencrypt' : 'any'] : [])];
  for (const purpose of purposes) {
    const verified = openssl(['verify', '-CAfile', ws.path('root.pem'), '-untrusted', ws.path('issuing.pem'), '-purpose', purpose, pemFile]);
    assert.equal(verified.status, 0, `${where} ${purpose}: ${verified.stdout}${verified.stderr}`);
  }
}

before(async () => {
  ws = caWorkspace('cachet-br-profiles-');
  assert.equal((await cachet(['ca', 'init', '--intermediate', '--key', 'ec-p384', '--passphrase-file', ws.passphraseFile], ws.env)).status, 0);
  openssl(['x509', '-in', `${ws.env.CACHET_HOME}/ca/root.pem`, '-out', ws.path('root.pem')]);
  openssl(['x509', '-in', `${ws.env.CACHET_HOME}/ca/issuing.pem`, '-out', ws.path('issuing.pem')]);
});
after(() => ws?.remove());

describe('issued certificates follow the S/MIME BR mailbox-validated profiles', () => {
  test('strict and multipurpose templates exist beside signing-only and encryption-only', () => {
    assert.deepEqual(listTemplates().map((t) => t.name).sort(), Object.keys(TEMPLATE_PROFILE).sort());
  });

  for (const template of listTemplates()) {
    for (const keyFamily of ['rsa', 'ec'] as const) {
      test(`${template.name}, ${keyFamily.toUpperCase()} key from a PKCS#10 request`, async () => {
        const name = `${template.name}-${keyFamily}`;
        const email = `${name}@example.com`;
        const keyArgs = keyFamily === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
        const made = openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', ws.path(`${name}.key`), '-out', ws.path(`${name}.csr`), '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`]);
        assert.equal(made.status, 0, made.stderr);
        const r = await cachet(['ca', 'issue', '--template', template.name, '--csr', ws.path(`${name}.csr`), '--out', ws.path(`${name}.pem`), '--passphrase-file', ws.passphraseFile], ws.env);
        assert.equal(r.status, 0, r.stderr);
        checkBrProfile(ws.path(`${name}.pem`), template.name, email, keyFamily, 825);
      });
    }
  }

  test('a key Cachet makes (PKCS#12) follows the profile too', async () => {
    const r = await cachet(['ca', 'issue', '--template', 'multipurpose', '--email', 'pfx@example.com', '--key', 'ec-p256', '--out', ws.path('pfx.p12'), '--password-file', ws.passwordFile, '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(r.status, 0, r.stderr);
    const out = openssl(['pkcs12', '-in', ws.path('pfx.p12'), '-passin', `file:${ws.passwordFile}`, '-nokeys', '-clcerts', '-out', ws.path('pfx.pem')]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(openssl(['x509', '-in', ws.path('pfx.pem'), '-out', ws.path('pfx.pem')]).status, 0, 'the bag attributes dropped');
    checkBrProfile(ws.path('pfx.pem'), 'multipurpose', 'pfx@example.com', 'ec', 825);
  });

  test('validity: --days up to 825 is issued; beyond is refused (exit 7) and nothing is recorded', async () => {
    const csr = ws.path('days.csr');
    assert.equal(openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ws.path('days.key'), '-out', csr, '-subj', '/CN=d', '-addext', 'subjectAltName=email:days@example.com']).status, 0);
    const before = (await cachet(['ca', 'list', '--json'], ws.env)).stdout;
    const refused = await cachet(['ca', 'issue', '--template', 'dual', '--csr', csr, '--days', '826', '--out', ws.path('days.pem'), '--passphrase-file', ws.passphraseFile, '--json'], ws.env);
    assert.equal(refused.status, 7);
    assert.equal(JSON.parse(refused.stdout).error.code, 'ERR_POLICY_FORBIDS');
    assert.equal((await cachet(['ca', 'list', '--json'], ws.env)).stdout, before);
    const ok = await cachet(['ca', 'issue', '--template', 'dual', '--csr', csr, '--days', '825', '--out', ws.path('days.pem'), '--passphrase-file', ws.passphraseFile], ws.env);
    assert.equal(ok.status, 0, ok.stderr);
    checkBrProfile(ws.path('days.pem'), 'dual', 'days@example.com', 'ec', 825);
    const dates = openssl(['x509', '-in', ws.path('days.pem'), '-noout', '-startdate', '-enddate']).stdout;
    const days = (Date.parse(/notAfter=(.*)/.exec(dates)![1]!) - Date.parse(/notBefore=(.*)/.exec(dates)![1]!)) / DAY;
    assert.equal(days, 825);
  });
});

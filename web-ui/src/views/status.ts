/**
 * The security status of a message, drawn by Cachet outside the message area so that mail content
 * cannot imitate it. The words never claim more than the report proves.
 */
import { h, icon } from '../dom.js';
import { formatDate } from '../format.js';
import type { CertificateDetails, MessageView, SignerView } from '../types.js';

const SIGNATURE_TEXT: Record<MessageView['status'], { icon: string; tone: string; title: string }> = {
  valid: { icon: 'seal', tone: 'good', title: 'Signed' },
  invalid: { icon: 'cross', tone: 'bad', title: 'Signature invalid' },
  untrusted: { icon: 'warning', tone: 'warn', title: 'Signed, but not trusted' },
  mismatch: { icon: 'warning', tone: 'warn', title: 'Signed by someone else' },
  'partially-signed': { icon: 'warning', tone: 'warn', title: 'Partially signed' },
  'not-signed': { icon: 'dash', tone: 'neutral', title: 'Not signed' },
};

function signerName(signer: SignerView): string {
  return signer.email[0] ?? signer.subject;
}

function signatureSentence(view: MessageView): string {
  const first = view.signers[0];
  switch (view.status) {
    case 'valid':
      // The signer's address, never the display name: that is the sender's to choose.
      return `Signed by ${view.verifiedSender ?? view.signers.map(signerName).join(', ')}. The signature is valid and the certificate is trusted.`;
    case 'invalid':
      return 'The signature does not match the message: it was changed after signing, or the signature is forged. Do not trust its content.';
    case 'untrusted':
      return `Signed by ${first ? signerName(first) : 'an unknown signer'}, but ${first?.warning ?? 'the certificate is not trusted'}.`;
    case 'mismatch':
      return `Signed by ${first ? signerName(first) : 'someone'}, but the message says it is from ${view.headers.from}.`;
    case 'partially-signed':
      return 'Only part of this message is signed. The parts outside the signature are marked below; anyone could have added them.';
    default:
      return 'This message is not signed: its sender and content cannot be confirmed.';
  }
}

export function certificatePanel(details: CertificateDetails): HTMLElement {
  const row = (label: string, value: string) => h('div', { className: 'cert-row' }, h('dt', {}, label), h('dd', {}, value));
  return h(
    'details',
    { className: 'cert-details' },
    h('summary', {}, 'Certificate details'),
    h(
      'dl',
      {},
      row('Subject', details.subject),
      row('E-mail', details.email.join(', ')),
      row('Issuer', details.issuer),
      row('Valid from', formatDate(details.notBefore)),
      row('Valid until', formatDate(details.notAfter)),
      row('Serial number', details.serialNumber),
      row('SHA-256 fingerprint', details.fingerprint),
      row('Chain', details.chain.join(' → ') || '—'),
      row('Revocation', details.revocation),
    ),
  );
}

export function statusBar(view: MessageView): HTMLElement {
  const signature = SIGNATURE_TEXT[view.status];
  const encryption = view.encrypted
    ? view.unauthenticatedEncryption
      ? h('div', { className: 'status-item tone-warn', 'data-testid': 'encryption-status' }, icon('warning', 'Encrypted, unauthenticated'), h('span', {}, `Encrypted${view.contentEncryption ? ` (${view.contentEncryption.toUpperCase()})` : ''}, but unauthenticated: it could have been changed`))
      : h('div', { className: 'status-item tone-good', 'data-testid': 'encryption-status' }, icon('lock', 'Encrypted'), h('span', {}, `Encrypted${view.contentEncryption ? ` (${view.contentEncryption.toUpperCase()})` : ''}`))
    : h('div', { className: 'status-item tone-neutral', 'data-testid': 'encryption-status' }, icon('unlock', 'Not encrypted'), h('span', {}, 'Not encrypted'));
  const bar = h(
    'section',
    { className: `status-bar tone-${signature.tone}`, role: 'status', 'aria-label': 'Security status', 'data-status': view.status },
    h('div', { className: `status-item tone-${signature.tone}`, 'data-testid': 'signature-status' }, icon(signature.icon, signature.title), h('strong', {}, signature.title)),
    encryption,
    h('p', { className: 'status-sentence' }, signatureSentence(view)),
  );
  for (const warning of view.warnings) bar.append(h('p', { className: 'status-warning' }, icon('warning', 'Warning'), ` ${warning}`));
  for (const difference of view.headerDifferences) bar.append(h('p', { className: 'status-warning' }, icon('warning', 'Header changed'), ` ${difference}`));
  view.signers.forEach((signer, index) => {
    const line = h(
      'div',
      { className: 'signer' },
      h('span', {}, `Signer ${index + 1}: ${signerName(signer)} — ${signer.valid ? 'signature valid' : 'signature INVALID'}, ${signer.trusted === true ? 'trusted' : signer.trusted === false ? 'not trusted' : 'trust not checked'}${signer.signingTime ? `, signed ${new Date(signer.signingTime).toLocaleString()}` : ''}`),
    );
    if (signer.warning) line.append(h('div', { className: 'status-warning' }, signer.warning));
    if (signer.certificate) line.append(certificatePanel(signer.certificate));
    bar.append(line);
  });
  return bar;
}

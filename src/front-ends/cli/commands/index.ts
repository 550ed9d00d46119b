/**
 * The CLI's command table: every command name, its one-line summary and the module that implements
 * it. Modules are loaded on demand so that `cachet verify` does not pay for the web server or the
 * LDAP client; the summaries live here, not in the modules, so that `cachet --help` loads none of
 * them (it took ~0.5 s when it imported all fifty). Two-word names (`cert inspect`) are
 * sub-commands. Each module's default export is a `CliCommand`.
 */
export interface CommandEntry {
  /** Path of the implementing module, relative to this file, or an absolute URL (the process entry's commands). */
  readonly module: string;
  /** One line for `cachet --help`. */
  readonly summary: string;
}

/** Command name → its entry. */
export type CommandTable = Record<string, CommandEntry>;

/**
 * The CLI's own commands. `web` and `server` start the other front ends, so they are added by the
 * process entry (src/entry/cachet.ts), which sits above every front end.
 */
export const COMMANDS: CommandTable = {
  // engine (issue: S/MIME engine)
  sign: { module: './sign.js', summary: 'sign a message (S/MIME, detached or opaque)' },
  verify: { module: './verify.js', summary: 'verify the signatures of a message or CMS signature' },
  encrypt: { module: './encrypt.js', summary: 'encrypt a message to recipients (S/MIME)' },
  decrypt: { module: './decrypt.js', summary: 'decrypt an S/MIME message' },
  open: { module: './open.js', summary: "open a message as a reader sees it: decrypt, verify, one verdict" },
  // certificates and trust
  'cert inspect': { module: './cert-inspect.js', summary: 'show the certificates in a .p12/.pfx/.pem/.cer/.der/.p7b file and their roles' },
  'cert import': { module: './cert-import.js', summary: 'import your certificate and key from a PKCS#12 file, with the right role' },
  'cert list': { module: './cert-list.js', summary: 'list your credentials in the vault' },
  'cert export': { module: './cert-export.js', summary: 'export a credential as a PKCS#12 file with its chain' },
  'cert request': { module: './cert-request.js', summary: 'get a certificate from an ACME server (RFC 8823): key in your vault, challenge answered from your mailbox' },
  'cert renew': { module: './cert-renew.js', summary: 'renew your certificates before they expire (a request your administrator approves)' },
  'cert remove': { module: './cert-remove.js', summary: 'remove a credential from the vault' },
  'trust add': { module: './trust-add.js', summary: 'trust a root or intermediate CA certificate' },
  'trust list': { module: './trust-list.js', summary: 'list the CA certificates you trust' },
  'trust remove': { module: './trust-remove.js', summary: 'stop trusting a CA certificate' },
  // vault and tokens
  'vault init': { module: './vault-init.js', summary: 'create your encrypted credential vault' },
  'vault unlock': { module: './vault-unlock.js', summary: 'unlock the running vault service with your passphrase' },
  'vault lock': { module: './vault-lock.js', summary: 'lock the running vault service' },
  'vault passphrase': { module: './vault-passphrase.js', summary: 'change the passphrase of your credential vault' },
  'vault serve': { module: './vault-serve.js', summary: 'run the shared vault service for enrolled apps' },
  'vault enrol-app': { module: './vault-enrol-app.js', summary: 'enrol an app with the vault service (prints its token)' },
  'vault revoke-app': { module: './vault-revoke-app.js', summary: 'revoke an app from the vault service' },
  'vault deposit': { module: './vault-deposit.js', summary: 'deposit a PKCS#12 credential into the shared vault (identity-provider side)' },
  'vault list': { module: './vault-list.js', summary: 'list the credentials in the shared vault (as an enrolled app)' },
  'token list': { module: './token-list.js', summary: 'list the credentials on a PKCS#11 token' },
  // directory and address book
  lookup: { module: './lookup.js', summary: "find recipients' encryption certificates (directory, address book)" },
  'directory login': { module: './directory-login.js', summary: 'check and keep your directory bind password in your vault' },
  'directory logout': { module: './directory-logout.js', summary: 'forget the directory password kept in your vault' },
  'addressbook list': { module: './addressbook-list.js', summary: 'list the certificates in your address book' },
  'addressbook import': { module: './addressbook-import.js', summary: "import correspondents' certificates into your address book" },
  'addressbook accept': { module: './addressbook-accept.js', summary: "accept a correspondent's changed certificate" },
  // issuing
  'ca init': { module: './ca-init.js', summary: 'set up a certificate authority (root, optional issuing intermediate)' },
  'ca cert': { module: './ca-cert.js', summary: 'print the CA certificate (PEM), or its chain' },
  'ca template': { module: './ca-template.js', summary: 'list the certificate templates or show one' },
  'ca list': { module: './ca-list.js', summary: 'list the issued certificates: owner, status, expiry, delivery, publication' },
  'ca enrol-token': { module: './ca-enrol-token.js', summary: "enrol a derived credential: a key pair made on the user's token, certified, written back" },
  'ca recovery-init': { module: './ca-recovery-init.js', summary: 'set up key recovery: a recovery key any two named officers open together' },
  'ca recover': { module: './ca-recover.js', summary: 'recover an archived encryption key (two officers act together)' },
  'ca requests': { module: './ca-requests.js', summary: "list the users' renewal requests" },
  'ca approve': { module: './ca-approve.js', summary: 'approve renewal requests (and publish the new certificates)' },
  'ca reject': { module: './ca-reject.js', summary: 'reject a renewal request' },
  'ca renew': { module: './ca-renew.js', summary: 'renew in bulk the certificates whose keys the CA made (new keys, mailed)' },
  'ca audit': { module: './ca-audit.js', summary: "print (and --verify) the CA's append-only audit log" },
  'ca issue': { module: './ca-issue.js', summary: 'issue a certificate (Cachet makes the key, or from a PKCS#10 request)' },
  'ca publish': { module: './ca-publish.js', summary: "publish a user's certificates to their directory entry" },
  'ca distribute': { module: './ca-distribute.js', summary: 'mail PKCS#12 files to their owner (password sent separately)' },
  'ca revoke': { module: './ca-revoke.js', summary: 'revoke an issued certificate or the issuing intermediate (and publish a new CRL)' },
  'ca crl': { module: './ca-crl.js', summary: 'publish a fresh certificate revocation list' },
  'ca ocsp': { module: './ca-ocsp.js', summary: 'run the OCSP responder (and serve the CRL) over HTTP' },
  'ca acme': { module: './ca-acme.js', summary: 'run the ACME server for S/MIME certificates (RFC 8555, RFC 8823 email-reply challenge)' },
  // the mail client
  'account add': { module: './account-add.js', summary: 'add a mail user to this Cachet home (local mailbox, optional SMTP)' },
  'account password': { module: './account-password.js', summary: "change a user's web password (checked first; their vault follows)" },
  send: { module: './send.js', summary: 'send a message (signed and encrypted per settings and policy)' },
  inbox: { module: './inbox.js', summary: 'list the messages of a folder' },
  read: { module: './read.js', summary: 'read a message: decrypt, verify, one trustworthy status' },
  outbox: { module: './outbox.js', summary: 'show the outbox, and retry sending' },
  folders: { module: './folders.js', summary: 'list your folders with their roles, total and unread counts' },
  search: { module: './search.js', summary: 'search a folder on the mail server: sender, subject, dates, attachments' },
  reply: { module: './reply.js', summary: 'reply (or --all: reply all) to a message, signed and encrypted as send does' },
  forward: { module: './forward.js', summary: 'forward a message, inline or --as-attachment, signed and encrypted as send does' },
  move: { module: './move.js', summary: 'move a message into another folder' },
  archive: { module: './archive.js', summary: 'move a message into the Archive folder' },
  delete: { module: './delete.js', summary: 'delete a message into Trash (--for-good from Trash)' },
  flag: { module: './flag.js', summary: 'mark a message read or unread, flagged or not' },
  'import-from-mail': { module: './import-from-mail.js', summary: 'import the certificates (.pfx/.p12) attached to a message' },
  'policy show': { module: './policy-show.js', summary: 'show the effective policy and settings, with their origin' },
  'settings show': { module: './settings-show.js', summary: 'show your S/MIME settings' },
  'settings set': { module: './settings-set.js', summary: 'change one of your settings' },
  demo: { module: './demo.js', summary: 'run the whole S/MIME flow on embedded defaults, printing each step' },
};

/**
 * The CLI's command table: every command name and the module that implements it, given as module paths and loaded on demand so
 * that `cachet verify` does not pay for the web server or the LDAP client. Two-word names
 * (`cert inspect`) are sub-commands. Each module's default export is a `CliCommand`.
 */
export const COMMANDS: Record<string, string> = {
  // engine (issue: S/MIME engine)
  sign: './sign.js',
  verify: './verify.js',
  encrypt: './encrypt.js',
  decrypt: './decrypt.js',
  open: './open.js',
  // certificates and trust
  'cert inspect': './cert-inspect.js',
  'cert import': './cert-import.js',
  'cert list': './cert-list.js',
  'cert export': './cert-export.js',
  'cert remove': './cert-remove.js',
  'trust add': './trust-add.js',
  'trust list': './trust-list.js',
  'trust remove': './trust-remove.js',
  // vault and tokens
  'vault init': './vault-init.js',
  'vault unlock': './vault-unlock.js',
  'vault lock': './vault-lock.js',
  'vault passphrase': './vault-passphrase.js',
  'vault serve': './vault-serve.js',
  'vault enrol-app': './vault-enrol-app.js',
  'vault revoke-app': './vault-revoke-app.js',
  'vault deposit': './vault-deposit.js',
  'vault list': './vault-list.js',
  'token list': './token-list.js',
  // directory and address book
  lookup: './lookup.js',
  'directory login': './directory-login.js',
  'directory logout': './directory-logout.js',
  'addressbook list': './addressbook-list.js',
  'addressbook import': './addressbook-import.js',
  'addressbook accept': './addressbook-accept.js',
  // issuing
  'ca init': './ca-init.js',
  'ca cert': './ca-cert.js',
  'ca template': './ca-template.js',
  'ca issue': './ca-issue.js',
  'ca publish': './ca-publish.js',
  'ca distribute': './ca-distribute.js',
  'ca revoke': './ca-revoke.js',
  'ca crl': './ca-crl.js',
  'ca ocsp': './ca-ocsp.js',
  // the mail client
  'account add': './account-add.js',
  send: './send.js',
  inbox: './inbox.js',
  read: './read.js',
  outbox: './outbox.js',
  'import-from-mail': './import-from-mail.js',
  'policy show': './policy-show.js',
  'settings show': './settings-show.js',
  'settings set': './settings-set.js',
  demo: './demo.js',
  // the web mail client
  web: './web.js',
};

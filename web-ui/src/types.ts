// The API's shapes, shared with the server (type-only: erased at build time).
export type {
  AttachmentView,
  CertificateDetails,
  CredentialRoleView,
  CredentialView,
  DirectoryLoginView,
  FolderSummary,
  GroupRuleChoiceView,
  ImportOutcome,
  MessageSummary,
  MessageView,
  RecipientStatus,
  SendOutcome,
  SettingView,
  SignerView,
  SmimeSettingsView,
} from '../../src/front-ends/web/mail-service.js';
// The Outbox page's shapes (the use case's own, shared with `cachet outbox --json`).
export type { OutboxMessage, OutboxRecipient } from '../../src/use-cases/outbox.js';
export type { CertificatesView, FileImportOutcome, OwnCredentialView } from '../../src/front-ends/web/certificate-service.js';
export type { ContactSuggestionsView } from '../../src/front-ends/web/routes/contacts.js';

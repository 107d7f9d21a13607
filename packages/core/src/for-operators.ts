// @syncguard/core/operator: the contract between a store package's `./operator` entry and an
// operator tool such as the `syncguard` CLI (its flags, settings, secrets, connection and 2.x
// migration), with the helpers the store operators share.
export {
  CLIENT_NOT_INSTALLED,
  type ClientLibraryChoice,
  chooseClientLibrary,
  clientNotInstalled,
  connectionUrlSecrets,
  isMisreadUrl,
  MISENCODED_URL_HINT,
  type OperatorCore,
  type OperatorFlag,
  type OperatorFlagValues,
  type OperatorInput,
  type OperatorMigrationReport,
  type OperatorPlan,
  type OperatorSession,
  type PeerModules,
  peerModules,
  printableUrl,
  runMigrationCommand,
  type StoreOperator,
  secretSettings,
  urlProblem,
} from "./operator";

export { ANVIL_HOST, type AnvilInstance, type AnvilOptions, type DevAccount, startAnvil } from "./anvil.js";
export { resolveAnvilBinary } from "./anvil-binary.js";
export {
  DEVNET_DEPLOYMENTS_DIR,
  type DevnetRoles,
  type RunningChain,
  type StartChainOptions,
  startChain,
} from "./chain.js";
export { buildChainCommand, type ChainCliIo, runChainCli } from "./chain-cli-program.js";
export { AnvilNotFoundError, AnvilStartError, DevnetError, InvalidDevnetOptionError } from "./errors.js";

/** Base class of the errors this package throws; `code` is stable and machine-readable. */
export class DeployError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The JSON-RPC endpoint did not answer. */
export class RpcUnreachableError extends DeployError {
  readonly rpcUrl: string;
  constructor(rpcUrl: string, detail: string, options?: ErrorOptions) {
    super(
      "RPC_UNREACHABLE",
      `cannot reach the JSON-RPC endpoint ${rpcUrl}: ${detail} (is the node running?)`,
      options,
    );
    this.rpcUrl = rpcUrl;
  }
}

/** The endpoint serves another chain than the one asked for. */
export class WrongChainError extends DeployError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, what = "the RPC endpoint") {
    super("WRONG_CHAIN", `expected chain ${expected}, but ${what} is on chain ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** One deployment step failed: its transaction would revert, reverted, or was never mined. */
export class DeployStepError extends DeployError {
  readonly step: string;
  readonly txHash: string | undefined;
  constructor(step: string, detail: string, txHash?: string, options?: ErrorOptions) {
    super("DEPLOY_STEP_FAILED", `${step} failed: ${detail}${txHash ? ` (tx ${txHash})` : ""}`, options);
    this.step = step;
    this.txHash = txHash;
  }
}

/** The chain already has a live deployment recorded in the deployments folder. */
export class DeploymentExistsError extends DeployError {
  readonly path: string;
  constructor(chainId: number, path: string) {
    super(
      "DEPLOYMENT_EXISTS",
      `chain ${chainId} already has a live deployment recorded in ${path} (its contracts have code); ` +
        "pass --redeploy (redeploy: true) to deploy a new set and overwrite the file",
    );
    this.path = path;
  }
}

/** The deploy configuration (flags, env, quorum file) is invalid; `issues` names each bad field. */
export class InvalidDeployConfigError extends DeployError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    super("INVALID_DEPLOY_CONFIG", `invalid deploy configuration (${source}): ${issues.join("; ")}`);
    this.issues = issues;
  }
}

import type { Address } from "viem";

/** The TaskManager address holds no contract on this chain (wrong chain, or not deployed yet). */
export class TaskManagerNotDeployedError extends Error {
  readonly address: Address;
  readonly chainId: number;
  constructor(address: Address, chainId: number, source: string) {
    super(
      `no contract at the TaskManager address ${address} (from ${source}) on chain ${chainId}; deploy first`,
    );
    this.name = "TaskManagerNotDeployedError";
    this.address = address;
    this.chainId = chainId;
  }
}

/** A quorum asked for with --quorums is not one of the deployment's quorums. */
export class UnknownQuorumError extends Error {
  readonly quorum: number;
  constructor(quorum: number, known: readonly number[]) {
    super(`invalid --quorums: quorum ${quorum} is not in the deployment (its quorums: ${known.join(", ")})`);
    this.name = "UnknownQuorumError";
    this.quorum = quorum;
  }
}

import type { SyncChain } from "../../src/sync-chain.js";

/**
 * The real chain with some methods replaced: lets a test act at a precise point of the sync
 * (e.g. between its read and its write) while every call still reaches the real contracts.
 */
export function intercept(chain: SyncChain, overrides: Partial<SyncChain>): SyncChain {
  return {
    quorumCount: () => chain.quorumCount(),
    readQuorum: (quorum) => chain.readQuorum(quorum),
    readOperators: (operators) => chain.readOperators(operators),
    lastFullUpdate: (quorum) => chain.lastFullUpdate(quorum),
    estimateQuorumUpdate: (quorum, operators) => chain.estimateQuorumUpdate(quorum, operators),
    sendQuorumUpdate: (quorum, operators, gasLimit) => chain.sendQuorumUpdate(quorum, operators, gasLimit),
    estimateOperatorsUpdate: (operators) => chain.estimateOperatorsUpdate(operators),
    sendOperatorsUpdate: (operators, gasLimit) => chain.sendOperatorsUpdate(operators, gasLimit),
    waitForOutcome: (txHash, timeoutMs) => chain.waitForOutcome(txHash, timeoutMs),
    ...overrides,
  };
}

import { registryCoordinatorAbi, stakeRegistryAbi } from "@avskit/bindings";
import { type G1Point, type G2Point, g1FromSolidity, g2FromSolidity } from "@avskit/bls";
import type { Logger, ReadClient } from "@avskit/runtime";
import type { Address, Hex } from "viem";
import type { OperatorRecord, OperatorState, OperatorStateProvider } from "../operator-state.js";
import { type AvsContracts, quorumBytes, readRetriever } from "./contracts.js";

interface CachedKeys {
  readonly g1: { X: bigint; Y: bigint };
  readonly g2: { X: readonly [bigint, bigint]; Y: readonly [bigint, bigint] };
  readonly pubkeyG1: G1Point;
  readonly pubkeyG2: G2Point;
}

export interface ChainOperatorStatesOptions {
  /** Operator states kept (one per reference block and quorum set). */
  readonly cacheSize?: number;
  readonly logger?: Logger;
}

/**
 * Operator sets at a block, read from the chain in a few eth_calls: each quorum's operators
 * with both keys and stakes (OperatorStateRetriever), each quorum's total stake (stake
 * registry), and who is registered in the other quorums (to tell "not in the task's quorums"
 * from "unknown"). States are cached by block and quorums, and parsed keys by operator: a
 * registered key never changes, and parsing checks G2 subgroup membership, which is slow.
 */
export class ChainOperatorStates implements OperatorStateProvider {
  readonly #client: ReadClient;
  readonly #contracts: AvsContracts;
  readonly #cacheSize: number;
  readonly #logger: Logger | undefined;
  readonly #states = new Map<string, Promise<OperatorState>>();
  readonly #keys = new Map<Hex, CachedKeys>();

  constructor(client: ReadClient, contracts: AvsContracts, options: ChainOperatorStatesOptions = {}) {
    this.#client = client;
    this.#contracts = contracts;
    this.#cacheSize = options.cacheSize ?? 64;
    this.#logger = options.logger;
  }

  load(blockNumber: bigint, quorumNumbers: readonly number[]): Promise<OperatorState> {
    const key = `${blockNumber}:${quorumNumbers.join(",")}`;
    const cached = this.#states.get(key);
    if (cached) {
      // Refresh its place in the LRU order.
      this.#states.delete(key);
      this.#states.set(key, cached);
      return cached;
    }
    const loading = this.#read(blockNumber, quorumNumbers).catch((error: unknown) => {
      this.#states.delete(key);
      throw error;
    });
    this.#states.set(key, loading);
    while (this.#states.size > this.#cacheSize) {
      const oldest = this.#states.keys().next().value;
      if (oldest === undefined) break;
      this.#states.delete(oldest);
    }
    return loading;
  }

  async #read(blockNumber: bigint, quorumNumbers: readonly number[]): Promise<OperatorState> {
    const started = performance.now();
    const { registryCoordinator, stakeRegistry } = this.#contracts;
    const block = Number(blockNumber);
    const quorums = quorumBytes(quorumNumbers);
    const [perQuorum, totals, others] = await Promise.all([
      readRetriever(this.#client, this.#contracts, "getOperatorsWithPubkeys", [
        registryCoordinator,
        quorums,
        block,
      ]),
      this.#client
        .readContract({
          address: stakeRegistry,
          abi: stakeRegistryAbi,
          functionName: "getTotalStakeIndicesAtBlockNumber",
          args: [block, quorums],
        })
        .then((indices) =>
          Promise.all(
            quorumNumbers.map((quorum, q) =>
              this.#client.readContract({
                address: stakeRegistry,
                abi: stakeRegistryAbi,
                functionName: "getTotalStakeAtBlockNumberFromIndex",
                args: [quorum, block, BigInt(indices[q] ?? 0)],
              }),
            ),
          ),
        ),
      this.#operatorsOfOtherQuorums(blockNumber, quorumNumbers),
    ]);
    const totalStakes: readonly bigint[] = totals;
    const operators = new Map<Hex, { address: Address; keys: CachedKeys; stakes: Map<number, bigint> }>();
    perQuorum.forEach((list, q) => {
      const quorum = quorumNumbers[q]!;
      for (const row of list) {
        const operatorId = row.operatorId.toLowerCase() as Hex;
        let entry = operators.get(operatorId);
        if (entry === undefined) {
          entry = {
            address: row.operator,
            keys: this.#keysFor(operatorId, row.pubkeyG1, row.pubkeyG2),
            stakes: new Map(),
          };
          operators.set(operatorId, entry);
        }
        entry.stakes.set(quorum, row.stake);
      }
    });
    const records = new Map<Hex, OperatorRecord>();
    for (const [operatorId, entry] of operators) {
      records.set(operatorId, {
        operatorId,
        address: entry.address,
        pubkeyG1: entry.keys.pubkeyG1,
        pubkeyG2: entry.keys.pubkeyG2,
        stakes: entry.stakes,
      });
    }
    this.#logger?.debug(
      {
        block: block,
        quorums: quorumNumbers,
        operators: records.size,
        ms: Math.round(performance.now() - started),
      },
      "operator set loaded",
    );
    return {
      blockNumber,
      quorumNumbers: [...quorumNumbers],
      totalStakes: new Map(quorumNumbers.map((quorum, q) => [quorum, totalStakes[q] ?? 0n])),
      operators: records,
      otherRegistered: others,
    };
  }

  /** Ids registered at the block in quorums other than these; empty if that cannot be read. */
  async #operatorsOfOtherQuorums(
    blockNumber: bigint,
    quorumNumbers: readonly number[],
  ): Promise<ReadonlySet<Hex>> {
    const ids = new Set<Hex>();
    try {
      const count = await this.#client.readContract({
        address: this.#contracts.registryCoordinator,
        abi: registryCoordinatorAbi,
        functionName: "quorumCount",
      });
      const others = Array.from({ length: Number(count) }, (_, q) => q).filter(
        (q) => !quorumNumbers.includes(q),
      );
      // Quorums created after the block do not exist there; ask for each separately so one such
      // quorum does not hide the others.
      const lists = await Promise.all(
        others.map((q) =>
          readRetriever(this.#client, this.#contracts, "getOperatorState", [
            this.#contracts.registryCoordinator,
            quorumBytes([q]),
            Number(blockNumber),
          ]).then(
            (lists) => lists as unknown as readonly (readonly { operatorId: Hex }[])[],
            () => [],
          ),
        ),
      );
      for (const perQuorum of lists)
        for (const list of perQuorum) for (const row of list) ids.add(row.operatorId.toLowerCase() as Hex);
    } catch (error) {
      this.#logger?.debug({ err: error }, "cannot read the other quorums' operators");
    }
    return ids;
  }

  #keysFor(
    operatorId: Hex,
    g1: { X: bigint; Y: bigint },
    g2: { X: readonly [bigint, bigint]; Y: readonly [bigint, bigint] },
  ): CachedKeys {
    const cached = this.#keys.get(operatorId);
    if (
      cached &&
      cached.g1.X === g1.X &&
      cached.g1.Y === g1.Y &&
      cached.g2.X[0] === g2.X[0] &&
      cached.g2.X[1] === g2.X[1] &&
      cached.g2.Y[0] === g2.Y[0] &&
      cached.g2.Y[1] === g2.Y[1]
    ) {
      return cached;
    }
    const keys: CachedKeys = {
      g1: { X: g1.X, Y: g1.Y },
      g2: { X: [g2.X[0], g2.X[1]], Y: [g2.Y[0], g2.Y[1]] },
      pubkeyG1: g1FromSolidity(g1),
      pubkeyG2: g2FromSolidity(g2),
    };
    this.#keys.set(operatorId, keys);
    return keys;
  }
}

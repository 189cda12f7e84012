import { registryCoordinatorAbi, stakeRegistryAbi, taskManagerAbi } from "@avskit/bindings";
import { LogCursor, type ReadClient } from "@avskit/runtime";
import type { AbiEvent, Address, Hash, Hex } from "viem";

/** A task as NewTaskCreated carries it. */
export interface OnChainTask {
  readonly taskIndex: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly taskCreatedBlock: number;
  readonly quorumThresholdPercentage: number;
  readonly quorumNumbers: Hex;
}

interface Located {
  readonly blockNumber: bigint;
  readonly txHash: Hash;
}

/** What the devnet view follows, decoded from the contracts' events. */
export type ChainEvent =
  | (Located & { readonly kind: "task-created"; readonly task: OnChainTask })
  | (Located & {
      readonly kind: "task-responded";
      readonly taskIndex: number;
      readonly sum: bigint;
      readonly taskRespondedBlock: number;
      readonly hashOfNonSigners: Hex;
    })
  | (Located & {
      readonly kind: "task-challenged";
      readonly taskIndex: number;
      /** True when the challenge proved the response wrong. */
      readonly successful: boolean;
      readonly challenger: Address;
    })
  | (Located & { readonly kind: "quorum-updated"; readonly quorum: number })
  | (Located & {
      readonly kind: "stake-updated";
      readonly operatorId: Hex;
      readonly quorum: number;
      readonly stake: bigint;
    });

export interface WatchedContracts {
  readonly taskManager: Address;
  readonly registryCoordinator: Address;
  readonly stakeRegistry: Address;
}

export interface ChainWatcherOptions {
  readonly client: ReadClient;
  readonly contracts: WatchedContracts;
  /** Events from the block after this one are reported. */
  readonly afterBlock: bigint;
  /** Short, so that the time a block was first seen is close to when it was mined. */
  readonly pollIntervalMs?: number;
  /** Called for each event, in chain order; the next one waits for it. */
  readonly onEvent: (event: ChainEvent) => void | Promise<void>;
  /** Called once per new block, before its events. */
  readonly onBlock?: (blockNumber: bigint) => void | Promise<void>;
  /** A poll failed (it is retried at the next interval). */
  readonly onError?: (error: Error) => void;
}

function eventsNamed(abi: readonly unknown[], names: readonly string[]): AbiEvent[] {
  return (abi as readonly { type: string; name?: string }[]).filter(
    (item): item is AbiEvent => item.type === "event" && names.includes(item.name ?? ""),
  );
}

const WATCHED_EVENTS = [
  ...eventsNamed(taskManagerAbi, [
    "NewTaskCreated",
    "TaskResponded",
    "TaskChallengedSuccessfully",
    "TaskChallengedUnsuccessfully",
  ]),
  ...eventsNamed(registryCoordinatorAbi, ["QuorumBlockNumberUpdated"]),
  ...eventsNamed(stakeRegistryAbi, ["OperatorStakeUpdate"]),
] as const satisfies readonly AbiEvent[];
const WATCHED_NAMES = WATCHED_EVENTS.map((event) => event.name);

interface DecodedLog {
  eventName: string;
  args: Record<string, unknown>;
  address: Address;
  blockNumber: bigint;
  transactionHash: Hash;
}

function toEvent(log: DecodedLog, contracts: WatchedContracts): ChainEvent | undefined {
  const at = { blockNumber: log.blockNumber, txHash: log.transactionHash };
  const from = log.address.toLowerCase();
  const args = log.args;
  if (from === contracts.taskManager.toLowerCase()) {
    switch (log.eventName) {
      case "NewTaskCreated": {
        const task = args.task as Omit<OnChainTask, "taskIndex">;
        return { ...at, kind: "task-created", task: { ...task, taskIndex: Number(args.taskIndex) } };
      }
      case "TaskResponded": {
        const response = args.taskResponse as { referenceTaskIndex: number; sum: bigint };
        const metadata = args.taskResponseMetadata as { taskRespondedBlock: number; hashOfNonSigners: Hex };
        return {
          ...at,
          kind: "task-responded",
          taskIndex: response.referenceTaskIndex,
          sum: response.sum,
          taskRespondedBlock: metadata.taskRespondedBlock,
          hashOfNonSigners: metadata.hashOfNonSigners,
        };
      }
      case "TaskChallengedSuccessfully":
      case "TaskChallengedUnsuccessfully":
        return {
          ...at,
          kind: "task-challenged",
          taskIndex: Number(args.taskIndex),
          successful: log.eventName === "TaskChallengedSuccessfully",
          challenger: args.challenger as Address,
        };
    }
  }
  if (from === contracts.registryCoordinator.toLowerCase() && log.eventName === "QuorumBlockNumberUpdated") {
    return { ...at, kind: "quorum-updated", quorum: Number(args.quorumNumber) };
  }
  if (from === contracts.stakeRegistry.toLowerCase() && log.eventName === "OperatorStakeUpdate") {
    return {
      ...at,
      kind: "stake-updated",
      operatorId: args.operatorId as Hex,
      quorum: Number(args.quorumNumber),
      stake: args.stake as bigint,
    };
  }
  return undefined;
}

/**
 * Follows the chain by polling: each new block, then the events of the watched contracts in
 * it, in order. Progress comes from these events only, never from the services' logs.
 */
export class ChainWatcher {
  readonly #options: ChainWatcherOptions;
  readonly #logs: LogCursor<AbiEvent[], string[]>;
  /** The last block whose events were all reported (a range read again after a failed handler skips up to it). */
  #cursor: bigint;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: ChainWatcherOptions) {
    this.#options = options;
    this.#cursor = options.afterBlock;
    const { taskManager, registryCoordinator, stakeRegistry } = options.contracts;
    this.#logs = new LogCursor({
      client: options.client,
      address: [taskManager, registryCoordinator, stakeRegistry],
      abi: [...WATCHED_EVENTS],
      eventNames: WATCHED_NAMES,
      fromBlock: options.afterBlock + 1n,
    });
  }

  /** The last block whose events were all reported. */
  get cursor(): bigint {
    return this.#cursor;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const interval = this.#options.pollIntervalMs ?? 100;
    while (this.#running) {
      try {
        await this.poll();
      } catch (error) {
        this.#options.onError?.(error as Error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One round: reports the blocks and events since the cursor. */
  async poll(): Promise<void> {
    const { client, contracts } = this.#options;
    const head = await client.getBlockNumber({ cacheTime: 0 });
    await this.#logs.readTo(head, async (logs, range) => {
      const decoded = logs as unknown as DecodedLog[];
      let next = 0;
      for (let block = range.fromBlock; block <= range.toBlock; block++) {
        const already = block <= this.#cursor;
        if (!already) await this.#options.onBlock?.(block);
        for (; next < decoded.length && decoded[next]!.blockNumber === block; next++) {
          const event = already ? undefined : toEvent(decoded[next]!, contracts);
          if (event) await this.#options.onEvent(event);
        }
        if (!already) this.#cursor = block;
      }
    });
  }
}

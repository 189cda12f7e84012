import {
  type Abi,
  type AbiEvent,
  type Address,
  type ContractEventName,
  type ParseEventLogsReturnType,
  parseEventLogs,
} from "viem";
import { abortable } from "./abortable.js";
import type { ReadClient } from "./chain.js";

/** eth_getLogs providers cap the block range of one request; 2,000 passes everywhere we know. */
export const DEFAULT_MAX_LOG_RANGE = 2_000;

export interface LogCursorOptions<abi extends Abi, eventName extends ContractEventName<abi>[]> {
  readonly client: ReadClient;
  /** The contract (or contracts) whose logs are read. */
  readonly address: Address | readonly Address[];
  readonly abi: abi;
  /** The events wanted; logs of other events (and logs that do not decode) are dropped. */
  readonly eventNames: eventName;
  /** First block to read. */
  readonly fromBlock: bigint;
  /** Largest block range per eth_getLogs (default DEFAULT_MAX_LOG_RANGE). */
  readonly maxRange?: number;
}

/** The decoded logs of one block range. */
export type CursorLogs<
  abi extends Abi,
  eventName extends ContractEventName<abi>[],
> = ParseEventLogsReturnType<abi, eventName, true>;

export interface LogRange {
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
}

/**
 * A cursor over a contract's events: `readTo(head)` reads every block after the last one read,
 * up to `head`, in ranges of at most `maxRange` blocks, and hands each range's decoded logs
 * over in block order. The cursor moves past a range only after its logs were handed over (and
 * the handler returned), so a failed request, or a handler that throws, loses nothing: the next
 * `readTo` starts again at the first range not done. A `signal` ends the read between ranges, or
 * during one (the range is then read again next time).
 */
export class LogCursor<abi extends Abi, const eventName extends ContractEventName<abi>[]> {
  readonly #options: LogCursorOptions<abi, eventName>;
  readonly #maxRange: bigint;
  #next: bigint;

  constructor(options: LogCursorOptions<abi, eventName>) {
    if (options.maxRange !== undefined && !(Number.isInteger(options.maxRange) && options.maxRange >= 1)) {
      throw new RangeError(`maxRange must be a whole number ≥ 1, got ${options.maxRange}`);
    }
    this.#options = options;
    this.#maxRange = BigInt(options.maxRange ?? DEFAULT_MAX_LOG_RANGE);
    this.#next = options.fromBlock < 0n ? 0n : options.fromBlock;
  }

  /** The first block not read yet. */
  get nextBlock(): bigint {
    return this.#next;
  }

  /** The last block read (nextBlock − 1). */
  get lastRead(): bigint {
    return this.#next - 1n;
  }

  /** Reads up to and including `head`; resolves once every range was handed over. */
  async readTo(
    head: bigint,
    onLogs: (logs: CursorLogs<abi, eventName>, range: LogRange) => void | Promise<void>,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    const { client, abi, eventNames } = this.#options;
    const address = this.#options.address as Address | Address[];
    // Only the wanted events are asked for (topic0 filter): providers cap the logs one answer holds.
    const events = (abi as Abi).filter(
      (item): item is AbiEvent =>
        item.type === "event" && (eventNames as readonly string[]).includes(item.name),
    );
    while (this.#next <= head) {
      options.signal?.throwIfAborted();
      const fromBlock = this.#next;
      const last = fromBlock + this.#maxRange - 1n;
      const toBlock = last < head ? last : head;
      const raw = await abortable(client.getLogs({ address, events, fromBlock, toBlock }), options.signal);
      const logs = parseEventLogs({ abi, logs: raw, eventName: eventNames, strict: true }) as CursorLogs<
        abi,
        eventName
      >;
      await onLogs(logs, { fromBlock, toBlock });
      this.#next = toBlock + 1n;
    }
  }
}

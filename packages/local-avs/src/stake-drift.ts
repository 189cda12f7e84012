import { randomInt } from "node:crypto";
import { stakeRegistryAbi, strategyManagerAbi, testTokenAbi } from "@avskit/bindings";
import { sendTransaction } from "@avskit/operator";
import { type ReadClient, walletFor } from "@avskit/runtime";
import type { Abi } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { LocalChain } from "./local-chain.js";
import { type DevnetOperator, TOKEN } from "./operators.js";
import { CONTINUATION, formatTokens, label } from "./watch/format.js";

export interface StakeDriftOptions {
  readonly client: ReadClient;
  readonly chain: LocalChain;
  readonly operators: readonly DevnetOperator[];
  readonly intervalMs: number;
  readonly out: (line: string) => void;
  readonly onError: (error: Error) => void;
}

/**
 * Makes stakes drift the way they do on a real network: every interval one operator deposits
 * a few more tokens. Its weight changes at once, but the stake registry keeps the old stake
 * until someone updates it, which is what avs-sync is for; the devnet view then shows
 * avs-sync's update.
 */
export class StakeDrift {
  readonly #options: StakeDriftOptions;
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  #inFlight: Promise<void> | undefined;

  constructor(options: StakeDriftOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer || this.#options.intervalMs <= 0 || this.#options.operators.length === 0) return;
    this.#timer = setInterval(() => {
      if (this.#inFlight) return; // a slow chain: skip rather than pile up
      this.#inFlight = this.depositOnce()
        .catch((error: unknown) => this.#options.onError(error as Error))
        .finally(() => {
          this.#inFlight = undefined;
        });
    }, this.#options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** One deposit by the next operator (round robin) into a strategy of one of its quorums. */
  async depositOnce(): Promise<void> {
    const { client, chain, operators } = this.#options;
    const tick = this.#tick++;
    const operator = operators[tick % operators.length]!;
    const quorum = operator.quorums[Math.floor(tick / operators.length) % operator.quorums.length]!;
    const { strategy, token } = chain.deployment.quorums.find((q) => q.quorumNumber === quorum)!
      .strategies[0]!;
    const strategyManager = chain.deployment.restaking.strategyManager;
    if (strategyManager === null)
      throw new Error("the deployment records no StrategyManager to deposit into");
    const amount = BigInt(randomInt(5, 51)) * TOKEN;
    const clientOptions = { rpcUrl: chain.rpcUrl, pollingIntervalMs: 200 };
    const funder = walletFor(client, privateKeyToAccount(chain.roles.deployer.privateKey), clientOptions);
    const staker = walletFor(client, operator.account, clientOptions);
    const tokenAbi = testTokenAbi as Abi;
    await sendTransaction(client, funder, "mint drift tokens", {
      address: token,
      abi: tokenAbi,
      functionName: "mint",
      args: [operator.address, amount],
    });
    await sendTransaction(client, staker, "approve drift deposit", {
      address: token,
      abi: tokenAbi,
      functionName: "approve",
      args: [strategyManager, amount],
    });
    await sendTransaction(client, staker, "drift deposit", {
      address: strategyManager,
      abi: strategyManagerAbi as Abi,
      functionName: "depositIntoStrategy",
      args: [strategy, token, amount],
    });
    const stakeRegistry = chain.deployment.contracts.stakeRegistry.proxy;
    const [weight, recorded] = await Promise.all([
      client.readContract({
        address: stakeRegistry,
        abi: stakeRegistryAbi,
        functionName: "weightOfOperatorForQuorum",
        args: [quorum, operator.address],
      }),
      client.readContract({
        address: stakeRegistry,
        abi: stakeRegistryAbi,
        functionName: "getCurrentStake",
        args: [operator.operatorId, quorum],
      }),
    ]);
    this.#options.out(
      `${label("stake")}${operator.name} deposited ${formatTokens(amount)} more tokens: weight in quorum ${quorum} now ${formatTokens(weight)}\n` +
        `${CONTINUATION}(recorded stake stays ${formatTokens(recorded)} until avs-sync updates it)`,
    );
  }
}

import {
  avsDirectoryAbi,
  avsDirectoryBytecode,
  delegationManagerAbi,
  delegationManagerBytecode,
  iStrategyAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  strategyVaultBytecode,
  testTokenAbi,
  testTokenBytecode,
} from "@avskit/bindings";
import type { Address, PublicClient } from "viem";
import { DeployStepError } from "./errors.js";
import { callTx, deployTx, type TxRunner } from "./tx.js";

export interface StandInToken {
  name: string;
  symbol: string;
}

export interface DeployedStrategy {
  strategy: Address;
  token: Address;
  symbol: string;
}

export interface RestakingStandIn {
  delegationManager: Address;
  strategyManager: Address;
  avsDirectory: Address;
  /** One StrategyVault per token, in the order the tokens were given. */
  strategies: DeployedStrategy[];
}

/**
 * Deploys avskit's restaking stand-in: DelegationManager (which creates its StrategyManager),
 * AVSDirectory, and for each token a TestToken and a whitelisted StrategyVault. The deployer
 * owns all of it, and so can mint test tokens for operators and stakers.
 */
export async function deployRestakingStandIn(
  runner: TxRunner,
  publicClient: PublicClient,
  options: { tokens: readonly StandInToken[]; minWithdrawalDelayBlocks: number },
): Promise<RestakingStandIn> {
  const owner = runner.deployer;
  const [delegationManager, ...tokens] = await runner.deployWave([
    deployTx(
      "deploying restaking DelegationManager (+ StrategyManager)",
      {
        abi: delegationManagerAbi,
        bytecode: delegationManagerBytecode,
      },
      [owner, BigInt(options.minWithdrawalDelayBlocks)],
    ),
    ...options.tokens.map((token) =>
      deployTx(`deploying TestToken ${token.symbol}`, { abi: testTokenAbi, bytecode: testTokenBytecode }, [
        token.name,
        token.symbol,
      ]),
    ),
  ]);
  const strategyManager = await publicClient.readContract({
    address: delegationManager!,
    abi: delegationManagerAbi,
    functionName: "strategyManager",
  });

  const [avsDirectory, ...vaults] = await runner.deployWave([
    deployTx("deploying restaking AVSDirectory", { abi: avsDirectoryAbi, bytecode: avsDirectoryBytecode }, [
      delegationManager!,
    ]),
    ...options.tokens.map((token, i) =>
      deployTx(
        `deploying StrategyVault for ${token.symbol}`,
        {
          abi: strategyVaultAbi,
          bytecode: strategyVaultBytecode,
        },
        [strategyManager, tokens[i]!],
      ),
    ),
  ]);
  if (vaults.length > 0) {
    await runner.one(
      callTx(
        "whitelisting strategies in the StrategyManager",
        strategyManager,
        strategyManagerAbi,
        "addStrategiesToDepositWhitelist",
        [vaults],
      ),
    );
  }
  return {
    delegationManager: delegationManager!,
    strategyManager,
    avsDirectory: avsDirectory!,
    strategies: options.tokens.map((token, i) => ({
      strategy: vaults[i]!,
      token: tokens[i]!,
      symbol: token.symbol,
    })),
  };
}

/** Reads an existing strategy's underlying token, naming the strategy if it is not one. */
export async function underlyingTokenOf(publicClient: PublicClient, strategy: Address): Promise<Address> {
  try {
    return await publicClient.readContract({
      address: strategy,
      abi: iStrategyAbi,
      functionName: "underlyingToken",
    });
  } catch (error) {
    throw new DeployStepError(
      `reading underlyingToken() of strategy ${strategy}`,
      "not a strategy (no code, or no underlyingToken())",
      undefined,
      { cause: error },
    );
  }
}

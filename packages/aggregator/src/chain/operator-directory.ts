import { registryCoordinatorAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import { type Address, type Hex, zeroAddress } from "viem";
import type { OperatorDirectory } from "../sessions.js";

/**
 * Operator ids to registered addresses, from the RegistryCoordinator's `getOperatorFromId`. An
 * id, once registered, keeps its address for good (the BLS key hash cannot be registered
 * again), so found addresses are cached forever and only misses go to the chain: a newly
 * registered operator is found on its first login. Only registered operators enter the cache.
 */
export class ChainOperatorDirectory implements OperatorDirectory {
  readonly #client: ReadClient;
  readonly #registryCoordinator: Address;
  readonly #known = new Map<Hex, Address>();

  constructor(client: ReadClient, registryCoordinator: Address) {
    this.#client = client;
    this.#registryCoordinator = registryCoordinator;
  }

  async addressOf(operatorId: Hex): Promise<Address | undefined> {
    const id = operatorId.toLowerCase() as Hex;
    const known = this.#known.get(id);
    if (known !== undefined) return known;
    const address = await this.#client.readContract({
      address: this.#registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperatorFromId",
      args: [id],
    });
    if (address === zeroAddress) return undefined;
    this.#known.set(id, address);
    return address;
  }
}

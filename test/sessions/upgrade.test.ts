import { CANONICAL_ENTRY_POINT_V08 } from "../../lib/userop/entry-point";
import { expect } from "chai";
import { ethers } from "hardhat";
import { leafHash } from "../../lib/configuration/leaves";
import type { Hex } from "../../lib/hex";
import { erc20TransferUpTo, explicitSession } from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import { deploySessionsFixture, expectAccepted, ownedConfiguration, ownerExecute, signBatch, transferData, walletFor } from "./fixture";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

const FAR = 4_000_000_000n;
const [alice] = keys(1, "upgrade-session-keys");
const recipient = "0x000000000000000000000000000000000000bEEF";

describe("ArborWallet (sessions across an upgrade)", () => {
  describe("upgradeTo", () => {
    it("keeps the session usage recorded before the upgrade and goes on recording it after", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: alice.address, chainId: f.chainId, deadline: FAR, grants: [erc20TransferUpTo(f.tokenAddress, 100n)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      await (await f.token.mint(address, 1_000n)).wait();
      const sessionLeaf = leafHash(session.leaf);

      const first = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 60n) }], [{ session, key: alice }]);
      await expectAccepted(f, wallet, configuration, first);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(60n);

      const upgraded = await ethers.deployContract("UpgradedWallet", [f.d.factoryAddress, f.sessionsAddress, CANONICAL_ENTRY_POINT_V08]);
      await ownerExecute(f, wallet, configuration, [{ target: address, data: wallet.interface.encodeFunctionData("upgradeTo", [await upgraded.getAddress()]) as Hex }]);
      expect(await (await ethers.getContractAt("UpgradedWallet", address)).version()).to.equal(2n);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(60n);

      const second = await signBatch(wallet, configuration, [{ target: f.tokenAddress, data: transferData(recipient, 40n) }], [{ session, key: alice }]);
      await expectAccepted(f, wallet, configuration, second);
      expect(await f.sessions.usage(address, sessionLeaf, 0, 1)).to.equal(100n);
      expect(await f.token.balanceOf(recipient)).to.equal(100n);
    });
  });
});

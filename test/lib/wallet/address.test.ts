import { expect } from "chai";
import { network } from "hardhat";
import { concat, getCreate2Address, keccak256 } from "ethers";
import { Configuration } from "../../../lib/configuration/configuration";
import { proxyInitCode, proxyRuntimeCode, WALLET_IMPLEMENTATION_SLOT, walletAddress } from "../../../lib/wallet/address";
import { expectError, oneOfEachKind, testAddress, word } from "../../helpers/fixtures";

// Runtime code of the widely deployed deterministic-deployment proxy (Arachnid/deterministic-deployment-proxy):
// calldata = salt ‖ initCode, CREATE2s it, returns the 20-byte address. It stands in for a factory here.
const CREATE2_PROXY_RUNTIME =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";
const FACTORY = "0x00000000000000000000000000000000000A4B07";

describe("address", () => {
  describe("proxyInitCode", () => {
    it("wraps the implementation in the WalletProxy creation code the spec lists opcode by opcode", () => {
      const impl = testAddress(1);
      const runtime = `0x365f5f375f5f365f7f${WALLET_IMPLEMENTATION_SLOT.slice(2)}5460601c801573${impl.slice(2).toLowerCase()}02175af43d5f5f3e5f3d91605357fd5bf3`;
      expect(proxyRuntimeCode(impl)).to.equal(runtime);
      expect(proxyInitCode(impl)).to.equal(`0x60558060095f395ff3${runtime.slice(2)}`);
      expect((proxyRuntimeCode(impl).length - 2) / 2).to.equal(85);
      expect((proxyInitCode(impl).length - 2) / 2).to.equal(94);
    });

    it("throws InvalidArgumentError when the implementation is not an address", () => {
      expectError(() => proxyInitCode("0x1234"), "InvalidArgumentError", "INVALID_ADDRESS", "implementation");
    });
  });

  describe("walletAddress", () => {
    it("computes keccak256(0xff ‖ factory ‖ imageHash ‖ keccak256(initCode))[12:]", () => {
      const imageHash = word("image");
      const impl = testAddress(2);
      const manual = "0x" + keccak256(concat(["0xff", FACTORY, imageHash, keccak256(proxyInitCode(impl))])).slice(26);
      const address = walletAddress({ factory: FACTORY, implementation: impl, imageHash });
      expect(address.toLowerCase()).to.equal(manual);
      expect(address).to.equal(getCreate2Address(FACTORY, imageHash, keccak256(proxyInitCode(impl))));
    });

    it("matches the address a real CREATE2 deployment gets on the Hardhat network", async () => {
      const provider = network.provider;
      await provider.request({ method: "hardhat_setCode", params: [FACTORY, CREATE2_PROXY_RUNTIME] });
      const [from] = (await provider.request({ method: "eth_accounts" })) as string[];
      const implementation = testAddress(3);
      const config = Configuration.of({ threshold: 2n, checkpoint: 0n, leaves: oneOfEachKind() });
      const expected = walletAddress({ factory: FACTORY, implementation, imageHash: config.imageHash });
      const data = concat([config.imageHash, proxyInitCode(implementation)]);
      const returned = (await provider.request({ method: "eth_call", params: [{ from, to: FACTORY, data }, "latest"] })) as string;
      expect(returned.toLowerCase()).to.equal(expected.toLowerCase());
      await provider.request({ method: "eth_sendTransaction", params: [{ from, to: FACTORY, data }] });
      const code = (await provider.request({ method: "eth_getCode", params: [expected, "latest"] })) as string;
      expect(code).to.equal(proxyRuntimeCode(implementation));
    });

    it("throws InvalidArgumentError naming factory or imageHash when they are malformed", () => {
      const impl = testAddress(2);
      expectError(() => walletAddress({ factory: "0x12", implementation: impl, imageHash: word("i") }), "InvalidArgumentError", "INVALID_ADDRESS", "factory");
      expectError(() => walletAddress({ factory: FACTORY, implementation: impl, imageHash: "0x12" }), "InvalidArgumentError", "INVALID_BYTES32", "imageHash");
    });
  });
});

/** The part of the WebAssembly API the WebAssembly loops use (@types/node 20 declares none of it; lib.dom would). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

export const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** An exported global of a module: a number. */
export interface WasmGlobal {
  value: number;
}

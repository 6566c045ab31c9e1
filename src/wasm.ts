// The part of the WebAssembly JS API that wasgi uses, typed in a module of its own: @types/node
// does not declare the global, and a global declaration of ours would collide with the DOM
// library's in a project that has it.

export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmGlobal {
  value: unknown;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
    exports(module: WasmModule): { name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
}

/** The global WebAssembly object, with the types above. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

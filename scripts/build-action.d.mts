export declare const ACTION_BUNDLE: string;
/** The Action's bundle as text, built from the sources. */
export declare function bundleAction(): Promise<string>;

export declare const PROMTOOL_PACKAGE: string;
export declare const cachedPromtoolPath: string;
/** The path of a working promtool: $PROMTOOL, the PATH's, or the one extracted from the Debian package into .cache/prometheus. */
export declare function ensurePromtool(): string;

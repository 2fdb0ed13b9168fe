/** The bundle's entry: runs the Action and exits with its code. */
import { main } from "./entry.js";

process.exitCode = await main();

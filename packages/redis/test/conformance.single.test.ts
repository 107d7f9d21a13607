import { redisConformance } from "./helpers/conformance";

redisConformance("single");
redisConformance("single", { cleanupInIsLocked: true });

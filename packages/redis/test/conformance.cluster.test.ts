import { redisConformance } from "./helpers/conformance";

redisConformance("cluster");
redisConformance("cluster", { cleanupInIsLocked: true });

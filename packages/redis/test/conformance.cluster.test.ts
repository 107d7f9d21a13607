import { redisConformance } from "./helpers/conformance";

redisConformance("cluster");

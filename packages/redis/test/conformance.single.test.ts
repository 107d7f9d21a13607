import { redisConformance } from "./helpers/conformance";

redisConformance("single");

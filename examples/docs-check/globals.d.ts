// What README snippets take for granted: the reader's own functions and values.
import type { LockBackend } from "@syncguard/core";

declare global {
  const backend: LockBackend;
  const paymentId: string;
  const userId: string;
  const lockId: string;
  const metrics: {
    histogram(name: string, value: number, tags?: Record<string, unknown>): void;
    increment(name: string, tags?: Record<string, unknown>): void;
  };
  function getPayment(id: string): Promise<{ status: string; amount: number }>;
  function chargeCard(
    amount: number,
    options?: { fence?: string; idempotencyKey?: string; signal?: AbortSignal },
  ): Promise<void>;
  function updateStatus(id: string, status: string, options?: { fence?: string }): Promise<void>;
  function computeTotal(options: { fence: string; signal: AbortSignal }): Promise<number>;
  function writeReport(options: { fence: string; signal?: AbortSignal }): Promise<void>;
  function deploy(options: { fence: string; signal: AbortSignal }): Promise<void>;
  function createMyBackend(): LockBackend;
  function doWork(options: { fence: string; signal: AbortSignal }): Promise<void>;
  function processPayment(id: string, fence?: string): Promise<void>;
  function chargeOnce(id: string, fence: string): Promise<void>;
  function generateReport(fence?: string): Promise<void>;
  function runNightlyReport(fence: string): Promise<void>;
  function reportExists(slotStart: number): Promise<boolean>;
  function buildReport(
    slotStart: number,
    options: { fence: string; signal: AbortSignal },
  ): Promise<void>;
  const db: import("@google-cloud/firestore").Firestore;
  const client: import("redis").RedisClientType;
  const redisClient: import("redis").RedisClientType;
  const pool: import("pg").Pool;
  const accountId: string;
  /** A winston logger: message first, then metadata. */
  const winstonLogger: {
    warn(message: string, ...meta: unknown[]): unknown;
    error(message: string, ...meta: unknown[]): unknown;
  };
  /** A pino logger: fields first, then the message. */
  const pinoLogger: {
    warn(fields: object, message?: string): void;
    error(fields: object, message?: string): void;
  };
  function runExport(options: { fence: string; signal?: AbortSignal }): Promise<void>;
  function runScheduler(options: { fence: string; signal: AbortSignal }): Promise<void>;
  const fence: string;
  const lastFenceReadInTheSameTransaction: string | null;
}

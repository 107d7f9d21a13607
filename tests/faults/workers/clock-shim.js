// Preloaded with --require: shifts this process's wall clock (Date.now, new Date(), Date()) by an
// offset the test controls: SYNCGUARD_FAULTS_CLOCK_OFFSET_MS at start (a fixed skew), then
// { type: "clock", offsetMs } IPC messages step it at runtime (acknowledged with "clock-set").
// Monotonic clocks (performance.now, process.hrtime) are left alone, as a real clock step does.
const RealDate = Date;
let offsetMs = Number(process.env.SYNCGUARD_FAULTS_CLOCK_OFFSET_MS ?? 0);

function ShiftedDate(...args) {
  if (!new.target) return new RealDate(RealDate.now() + offsetMs).toString();
  return args.length === 0 ? new RealDate(RealDate.now() + offsetMs) : new RealDate(...args);
}
ShiftedDate.prototype = RealDate.prototype;
ShiftedDate.now = () => RealDate.now() + offsetMs;
ShiftedDate.parse = RealDate.parse;
ShiftedDate.UTC = RealDate.UTC;
globalThis.Date = ShiftedDate;

process.on("message", (message) => {
  if (message && message.type === "clock") {
    offsetMs = Number(message.offsetMs);
    process.send?.({ type: "clock-set", offsetMs });
  }
});

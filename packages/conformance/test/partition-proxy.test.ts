import { connect, createServer } from "node:net";
import { startPartitionProxy } from "../src";

describe("startPartitionProxy", () => {
  it("forwards data until cut, then carries nothing", async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const port = (echo.address() as { port: number }).port;
    const proxy = await startPartitionProxy({ host: "127.0.0.1", port });
    const socket = connect(proxy.port, proxy.host);
    const received: string[] = [];
    socket.on("data", (chunk) => received.push(chunk.toString()));
    socket.write("ping");
    const until = Date.now() + 5000;
    while (received.join("") !== "ping" && Date.now() < until)
      await new Promise((r) => setTimeout(r, 5));
    expect(received.join("")).toBe("ping");
    proxy.cut();
    socket.write("lost");
    await new Promise((r) => setTimeout(r, 100));
    expect(received.join("")).toBe("ping");
    socket.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });
});

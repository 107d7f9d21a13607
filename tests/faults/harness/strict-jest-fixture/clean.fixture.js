it("leaves nothing behind", async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
});

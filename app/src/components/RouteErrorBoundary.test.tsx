import { fireEvent, render, screen } from "@testing-library/react";
import { lazy, Suspense } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import RouteErrorBoundary, { isChunkLoadError } from "./RouteErrorBoundary";

function Boom(): never {
  throw new Error("The index answered 500.");
}

describe("RouteErrorBoundary", () => {
  afterEach(() => vi.restoreAllMocks());

  it("recognises a chunk that failed to load", () => {
    expect(isChunkLoadError(new TypeError("Failed to fetch dynamically imported module: http://x/assets/LoanPage-abc.js"))).toBe(true);
    expect(isChunkLoadError(new TypeError("error loading dynamically imported module"))).toBe(true);
    expect(isChunkLoadError(new TypeError("Importing a module script failed."))).toBe(true);
    expect(isChunkLoadError(new Error("Something else"))).toBe(false);
    expect(isChunkLoadError(null)).toBe(false);
  });

  it("says a new version is available when a lazy page's chunk is gone, with a Reload button", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const reload = vi.fn();
    vi.spyOn(window, "location", "get").mockReturnValue({ ...window.location, reload } as Location);
    const Gone = lazy(() => Promise.reject(new TypeError("Failed to fetch dynamically imported module: http://x/assets/LoanPage-old.js")));
    render(
      <RouteErrorBoundary resetKey="/loans/1">
        <Suspense fallback={<p>Loading…</p>}>
          <Gone />
        </Suspense>
      </RouteErrorBoundary>,
    );
    expect((await screen.findByTestId("app-update")).textContent).toContain("A new version of Disfruta is available");
    expect(reload).not.toHaveBeenCalled(); // no automatic reload
    fireEvent.click(screen.getByRole("button", { name: "Reload" }));
    expect(reload).toHaveBeenCalledOnce();
  });

  it("shows another error's message with a Reload button, and clears it on another route", () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { rerender } = render(
      <RouteErrorBoundary resetKey="/lender">
        <Boom />
      </RouteErrorBoundary>,
    );
    expect(screen.getByTestId("page-error").textContent).toContain("The index answered 500.");
    expect(screen.getByRole("button", { name: "Reload" })).toBeTruthy();
    rerender(
      <RouteErrorBoundary resetKey="/">
        <p>Marketplace</p>
      </RouteErrorBoundary>,
    );
    expect(screen.getByText("Marketplace")).toBeTruthy();
    expect(screen.queryByTestId("page-error")).toBeNull();
  });
});

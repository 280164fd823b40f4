import { lazy, Suspense } from "react";
import type { ReactNode } from "react";
import { HashRouter, Route, Routes, useLocation } from "react-router";
import Layout from "./components/Layout";
import RouteErrorBoundary from "./components/RouteErrorBoundary";
import { PageTitle, Spinner } from "./components/ui";
import { AppProvider } from "./lib/context";
import { WalletProvider } from "./lib/wallet";
import Marketplace from "./pages/Marketplace";

// The marketplace is in the main chunk; the other pages load on first visit.
const LoanPage = lazy(() => import("./pages/LoanPage"));
const SignIn = lazy(() => import("./pages/SignIn"));
const BorrowerDashboard = lazy(() => import("./pages/borrower/BorrowerDashboard"));
const LenderDashboard = lazy(() => import("./pages/lender/LenderDashboard"));

/** The routes' error boundary, cleared when the user goes to another page. */
function PageBoundary({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return <RouteErrorBoundary resetKey={pathname}>{children}</RouteErrorBoundary>;
}

function NotFound() {
  return <PageTitle sub="There is no page at this address.">Page not found</PageTitle>;
}

export default function App() {
  return (
    <AppProvider>
      <WalletProvider>
        <HashRouter>
          <Layout>
            <PageBoundary>
            <Suspense fallback={<Spinner label="Loading the page…" />}>
            <Routes>
              <Route path="/" element={<Marketplace />} />
              <Route path="/loans/:id" element={<LoanPage />} />
              <Route path="/sign-in" element={<SignIn />} />
              <Route path="/borrower/*" element={<BorrowerDashboard />} />
              <Route path="/lender/*" element={<LenderDashboard />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
            </Suspense>
            </PageBoundary>
          </Layout>
        </HashRouter>
      </WalletProvider>
    </AppProvider>
  );
}

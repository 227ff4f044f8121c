/** The dashboard `cadre serve` serves at `/`: see mount.ts. */
export { mountDashboard, type DashboardServices } from "./mount.ts";

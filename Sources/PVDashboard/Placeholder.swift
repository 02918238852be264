public enum PVDashboardPlaceholder {}

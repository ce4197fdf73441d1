"""What people read: tables, figures and pages, from values already computed. No store, no model, no argparse."""

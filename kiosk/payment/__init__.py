"""Payment orchestration. Providers sit behind one interface (`PaymentProvider`)."""

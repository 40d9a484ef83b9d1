"""Villages of the work area on their way to "desa sadar hukum keimigrasian": criteria,
progress, designation, certificates, the office's dashboard and its exports."""

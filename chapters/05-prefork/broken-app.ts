// An app that cannot load: it throws while being imported, as an app whose database is down at start
// would. gunicorn's master stops with "Worker failed to boot." (exit 3) rather than respawning forever.
throw new Error('could not connect to the database at startup');

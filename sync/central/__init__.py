"""The central service: the reference receiver for stations' events, bundles and packages.

`home.CentralHome` is the one object callers use; `app.create_app` serves it over HTTP;
`cli.main` is the `examkiosk-central` command.
"""

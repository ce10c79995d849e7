from examkiosk.app.cli import main

main()

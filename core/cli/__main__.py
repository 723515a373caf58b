from core.cli.main import main

main()

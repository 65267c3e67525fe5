from workspaced.cli.main import main

main()

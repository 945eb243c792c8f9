from simhub.cli_main import main

main()

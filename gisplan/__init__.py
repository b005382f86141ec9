"""gisplan: Ningbo business districts and 15-minute convenience-circle coverage on the walking network.

宁波商圈、步行街与十五分钟便民生活圈（步行网络）分析工具。
"""

__version__ = "0.1.0"
